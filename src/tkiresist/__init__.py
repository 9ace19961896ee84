"""tkiresist: acquired resistance to targeted therapy in lung cancer.

For research use only, not for clinical decisions.
"""

__version__ = "0.1.0"

BUNDLED_DATASET = "cheung2025-table1"
"""The literature dataset a new registry is loaded with, and whose cases back the engine's pooled
numbers by default: the seed's Table 1 (Cheung 2025). Named here once."""

DISCLAIMER = (
    "For research use only, not for clinical decisions. tkiresist summarises published "
    "evidence; every option must be reviewed by a qualified clinician and a molecular tumour "
    "board."
)

"""tkiresist: acquired resistance to targeted therapy in lung cancer.

For research use only, not for clinical decisions.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "For research use only, not for clinical decisions. tkiresist summarises published "
    "evidence; every option must be reviewed by a qualified clinician and a molecular tumour "
    "board."
)

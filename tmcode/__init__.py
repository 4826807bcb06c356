"""tmcode: threat modeling as code for AI systems."""

from tmcode.errors import ModelError, Problem, TmcodeError
from tmcode.model import *  # noqa: F403 - the model API is tmcode's public API
from tmcode.model import __all__ as _model_all

__version__ = "0.1.0"

__all__ = ["ModelError", "Problem", "TmcodeError", "__version__", *_model_all]

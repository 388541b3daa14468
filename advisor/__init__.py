"""advisor: measure whether fine-tuning a model pays off against prompting a base model."""

__version__ = "0.1.0"

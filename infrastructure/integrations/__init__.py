"""Doors from where models already are: Hugging Face model cards, the MLflow model registry."""

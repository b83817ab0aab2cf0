"""merbench plugin: log every result record as one MLflow run (see :mod:`merbench_mlflow.log`)."""

__version__ = "0.1.0"

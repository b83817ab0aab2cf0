"""The hook merbench calls; cheap to import: mlflow is imported only when a record is logged."""

from merbench.hookspecs import hookimpl


@hookimpl
def merbench_record(record):
    from merbench_mlflow.tracking import log_record_safely

    log_record_safely(record)

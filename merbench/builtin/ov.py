"""Built-in MER-OV components: describers, groupers, open-set metrics, the ov track and the ov command."""

from merbench.hookspecs import hookimpl

"""An example merbench plugin, packaged on its own the way a community plugin is."""

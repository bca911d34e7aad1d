"""Stack presets, config loading and the offline plan command."""

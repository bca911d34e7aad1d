"""Stack presets, config loading (stack config -> spec)."""

"""Programs the rehearsal runs: each planned offline and run through the real CLI from the same file."""

"""Training tool for Emergence Lab's bundled arithmetic ladder (see training/README.md)."""

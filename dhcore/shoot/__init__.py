"""Photo-shoot productions: new portraits of one identity, scored and selected."""

"""LivePortrait (KwaiVGI, MIT) on torch: our modules in the release checkpoint layout."""

"""The threat catalog: controls now, threats and rules as the catalog grows."""

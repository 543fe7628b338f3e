"""Legacy and the Flask backend answer the same requests the same way: the migration's proof."""

"""Models, time handling and the JSON wire format shared by every layer (standard library only)."""

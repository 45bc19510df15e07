"""Platform contracts pinned from what the platforms publish (test and simulator use only)."""

"""Reference data that makes ProCheck fit any chamber: region, trades, topics (loaded from app/data)."""

"""Files the dev server sends to the browser (never part of a built site)."""

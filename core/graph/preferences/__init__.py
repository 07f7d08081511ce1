"""Customer preferences and restrictions, and favourites derived from order history."""

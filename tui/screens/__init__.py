"""The app's screens: the day view, a category's report, trends, search, preview and help."""

"""The app's widgets: header, category panel, paper list, paper detail, charts, progress."""

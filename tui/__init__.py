"""The Textual front end of Daily AI Insights: browse days, categories, papers and summaries."""

"""The organizer's console: the fair's figures (stats.py, with a registry other areas add to), the
dashboard and the public "fair in numbers" page (views.py), the stats API (api.py) and the charts they
draw (charts.py, pure)."""

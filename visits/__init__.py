"""The five must-visits and five must-reports care rule."""

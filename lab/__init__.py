"""The TP 1.5 reference lab: its settings (lab.yml) and its requirement catalogue."""

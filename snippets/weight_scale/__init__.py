"""Weight scale at initialisation — the critical line and the edge of chaos."""

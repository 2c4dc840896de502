class Adam:  # PLACEHOLDER, replaced by the optimizer work
    pass

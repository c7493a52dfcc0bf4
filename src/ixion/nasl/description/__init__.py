"""What a script says about itself: the ``script_*`` built-ins and the record they fill.
It may use the runtime (values, calls); the catalog above runs scripts in description mode.
"""

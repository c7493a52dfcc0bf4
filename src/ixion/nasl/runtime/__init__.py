"""Running the tree: values, operators, scopes, calls, forking, limits, includes, the KB.
It may use the syntax, network and SSH layers; built-ins plug in as a table it is given.
"""

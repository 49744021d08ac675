"""The API's routes as the client knows them, and a method for each.

`OPERATIONS` is read from operations.json, which `python -m infrastructure.api.client_codegen`
writes from the server's route table (do not edit it; a test fails when the server gains a route it
lacks). `Operations` has a method per route, built by `typed_methods`; _commands.pyi, generated
with it, states their signatures for type checkers.
"""

from importlib.resources import files

from modelgov_client._operations import load_operations, typed_methods

OPERATIONS = load_operations(files("modelgov_client").joinpath("operations.json").read_text())
Operations = typed_methods(OPERATIONS)

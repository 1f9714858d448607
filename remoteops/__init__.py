"""remoteops: get a company's staff working from home, and keep them working.

The library is usable without the CLI: ``remoteops.inventory.load_company`` loads a company
folder into domain objects (``remoteops.models``); ``remoteops.state.StateStore`` records
what was done.
"""

__version__ = "0.1.0"

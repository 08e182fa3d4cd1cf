"""newsbrief: offline article summarizer (fetch → extract → summarize → entities → store/render).

Heavy libraries (torch, transformers, spaCy, llama.cpp) are imported only inside the functions that
load models, so importing this package and running ``newsbrief --help`` stays instant.
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

"""`python -m hk_tick_collector` = `python -m hk_tick_collector.main`."""
import sys

from hk_tick_collector.main import main

sys.exit(main())

from typing_extensions import Buffer  # collections.abc.Buffer is Python 3.12+

ROWS: tuple[float, ...]
COLS: tuple[float, ...]
DBM0_PEAK: float
MIN_LEVEL_DBM0: float
TWIST_REVERSE_DB: float
TWIST_NORMAL_DB: float
STEADY_DB: float

class DtmfDetector:
    rate: int
    hop: int
    digits: str
    def __init__(self, rate: int = 8000) -> None: ...
    def feed(self, pcm: Buffer) -> str: ...

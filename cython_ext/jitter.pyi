from typing_extensions import Buffer  # collections.abc.Buffer is Python 3.12+

KINDS: tuple[str, ...]

class JitterBuffer:
    rate: int
    frame: int
    capacity: int
    ptime: float
    quantile: float
    forget: float
    init_delay: float
    received: int
    late: int
    duplicates: int
    concealed: int
    expanded: int
    dropped: int
    overflow: int
    played: int
    restarts: int
    reanchored: int
    def __init__(self, rate: int = 8000, ptime_ms: int = 20, quantile: float = 0.97, forget: float = 0.995,
                 init_delay_ms: float = 40.0, max_delay_ms: float = 1000.0) -> None: ...
    def reset(self) -> None: ...
    @property
    def kind(self) -> str: ...
    def stats(self) -> dict[str, float]: ...
    def put(self, seq: int, ts: int, pcm: Buffer, arrival: float) -> None: ...
    def get(self, now: float) -> bytes: ...

"""Trajectory files in the ETH/UCY text layout, and the Social-GAN windowing that EigenTrajectory uses.

A file has one row per (frame, agent): ``frame agent_id x y`` in metres, separated by whitespace (the
Social-GAN release of ETH/UCY uses tabs) or commas. An optional header row names the columns; without one,
the first four columns are read as frame, id, x, y. Frames are 0.4 s apart in ETH/UCY (2.5 fps).

Windowing follows the official data loader (Social-GAN's ``TrajectoryDataset``): over the sorted unique
frames, every run of obs_len + pred_len = 8 + 12 consecutive frames (stride 1) is a window, and only agents
present in all 20 of its frames take part.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np

OBS_LEN, PRED_LEN = 8, 12
SEQ_LEN = OBS_LEN + PRED_LEN
MAX_BYTES = 5_000_000          # an upload above this is refused before parsing
MAX_GRID = 20_000_000          # frames x agents of the dense position grid (memory guard)
COLUMN_NAMES = {"frame": ("frame", "frame_id", "t", "time"), "agent": ("agent", "agent_id", "ped", "ped_id",
                "pedestrian", "id", "track", "track_id"), "x": ("x", "pos_x"), "y": ("y", "pos_y")}


class TrackFormatError(ValueError):
    """A trajectory file that cannot be used; the message says what is wrong and where."""


@dataclass(frozen=True)
class Windows:
    """All (agent, window) samples of a set of tracks."""
    traj: np.ndarray      # (n, 20, 2) world coordinates: 8 observed then 12 future positions
    window: np.ndarray    # (n,) which window each sample belongs to (its neighbours share it)
    agent: np.ndarray     # (n,) agent id
    start: np.ndarray     # (n_windows,) first frame of each window

    @property
    def obs(self) -> np.ndarray:
        return self.traj[:, :OBS_LEN]

    @property
    def future(self) -> np.ndarray:
        return self.traj[:, OBS_LEN:]

    def __len__(self) -> int:
        return len(self.agent)


# ----------------------------------------------------------------------------- reading and writing

def _header_columns(tokens: list[str]) -> list[int]:
    """Positions of frame, agent, x, y in a header row, or a TrackFormatError naming what is missing."""
    names = [t.strip().strip('"').lower() for t in tokens]
    where, missing = [], []
    for column, aliases in COLUMN_NAMES.items():
        hits = [i for i, n in enumerate(names) if n in aliases]
        (where.append(hits[0]) if hits else missing.append(column))
    if missing:
        raise TrackFormatError(f"Missing column(s): {', '.join(missing)}. The header has {', '.join(names)}; "
                               "it needs frame, agent id (or ped), x and y.")
    return where


def _is_number(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def read_tracks(data: bytes | str) -> np.ndarray:
    """Rows (frame, agent id, x, y) sorted by frame then agent, from ETH/UCY-style text.

    Raises TrackFormatError with a message fit for the page for: a file too large or not text, empty,
    missing columns, values that are not numbers, NaN/inf, non-integer frames or ids, repeated
    (frame, agent) rows, or no track long enough for one 8 + 12 window.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise TrackFormatError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TrackFormatError("The file is not text (UTF-8). Expected rows of: frame agent_id x y.") from None
    lines = [(n + 1, line) for n, line in enumerate(data.splitlines()) if line.strip() and not line.startswith("#")]
    if not lines:
        raise TrackFormatError("The file is empty. Expected rows of: frame agent_id x y.")
    split = lambda line: [t for t in re.split(r"[,;\s]+", line.strip()) if t]
    columns = [0, 1, 2, 3]
    first = split(lines[0][1])
    if not any(_is_number(t) for t in first):         # a header row: names only
        columns, lines = _header_columns(first), lines[1:]
    rows = []
    for number, line in lines:
        tokens = split(line)
        if len(tokens) <= max(columns):
            raise TrackFormatError(f"Line {number} has {len(tokens)} column(s); each row needs 4 "
                                   "(frame, agent id, x, y). Missing columns?")
        try:
            rows.append([float(tokens[c]) for c in columns])
        except ValueError:
            bad = next(tokens[c] for c in columns if not _is_number(tokens[c]))
            raise TrackFormatError(f"Line {number}: {bad!r} is not a number.") from None
    if not rows:
        raise TrackFormatError("The file has a header but no data rows.")
    return _checked(np.array(rows, dtype=float), [n for n, _ in lines])


def _checked(rows: np.ndarray, line_numbers: list[int]) -> np.ndarray:
    bad = ~np.isfinite(rows).all(1)
    if bad.any():
        raise TrackFormatError(f"{bad.sum()} row(s) contain NaN or infinite values (first on line "
                               f"{line_numbers[np.argmax(bad)]}). Remove or fill them.")
    fractional = (rows[:, :2] != np.round(rows[:, :2])).any(1)
    if fractional.any():
        raise TrackFormatError(f"Line {line_numbers[np.argmax(fractional)]}: frame and agent id must be whole "
                               "numbers (is the column order frame, agent id, x, y?).")
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    repeated = (np.diff(rows[:, :2], axis=0) == 0).all(1)
    if repeated.any():
        frame, agent = rows[np.argmax(repeated), :2]
        raise TrackFormatError(f"Agent {agent:g} appears twice in frame {frame:g}; each (frame, agent) once.")
    longest = longest_track(rows)
    if longest < SEQ_LEN:
        raise TrackFormatError(f"The tracks are too short: forecasting needs an agent seen in {SEQ_LEN} "
                               f"consecutive frames ({OBS_LEN} observed + {PRED_LEN} future); the longest "
                               f"track here spans {longest}.")
    return rows


def write_tracks(rows: np.ndarray) -> str:
    """The Social-GAN text layout: tab-separated ``frame agent x y``, one row per line, no header."""
    out = io.StringIO()
    np.savetxt(out, rows, fmt=["%d", "%d", "%.3f", "%.3f"], delimiter="\t")
    return out.getvalue()


# ----------------------------------------------------------------------------- windows

def _position_grid(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frames, agent ids, grid): grid[f, a] = (x, y) of agent a in the f-th unique frame, NaN if absent."""
    frames, frame_index = np.unique(rows[:, 0], return_inverse=True)
    agents, agent_index = np.unique(rows[:, 1], return_inverse=True)
    if len(frames) * len(agents) > MAX_GRID:
        raise TrackFormatError(f"{len(frames)} frames x {len(agents)} agents is too large for this page.")
    grid = np.full((len(frames), len(agents), 2), np.nan)
    grid[frame_index, agent_index] = rows[:, 2:4]
    return frames, agents, grid


def _full_runs(grid: np.ndarray, length: int) -> np.ndarray:
    """present[s, a]: agent a is in every frame s .. s + length - 1."""
    seen = np.isfinite(grid[..., 0]).astype(int)
    cum = np.concatenate([np.zeros((1, seen.shape[1]), int), np.cumsum(seen, 0)])
    return (cum[length:] - cum[:-length]) == length


def longest_track(rows: np.ndarray) -> int:
    """Longest run of consecutive (unique) frames in which one agent is present."""
    _, _, grid = _position_grid(rows)
    seen = np.isfinite(grid[..., 0])
    best = 0
    for column in seen.T:   # run lengths per agent
        padded = np.concatenate([[0], column.astype(int), [0]])
        edges = np.flatnonzero(np.diff(padded))
        best = max(best, int((edges[1::2] - edges[::2]).max(initial=0)))
    return best


def make_windows(rows: np.ndarray, stride: int = 1, min_agents: int = 1) -> Windows:
    """Every window of SEQ_LEN consecutive frames with the agents present throughout (Social-GAN style)."""
    frames, agents, grid = _position_grid(rows)
    if len(frames) < SEQ_LEN:
        return Windows(np.zeros((0, SEQ_LEN, 2)), np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    present = _full_runs(grid, SEQ_LEN)
    traj, window, agent, start = [], [], [], []
    for s in range(0, len(present), stride):
        idx = np.flatnonzero(present[s])
        if len(idx) < min_agents:
            continue
        traj.append(grid[s:s + SEQ_LEN, idx].transpose(1, 0, 2))
        window.append(np.full(len(idx), len(start)))
        agent.append(agents[idx].astype(int))
        start.append(frames[s])
    if not start:
        return Windows(np.zeros((0, SEQ_LEN, 2)), np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    return Windows(np.concatenate(traj), np.concatenate(window), np.concatenate(agent), np.array(start))

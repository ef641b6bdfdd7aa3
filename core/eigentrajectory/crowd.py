"""A small social-force crowd simulator: the stand-in for ETH/UCY that the page trains and tests on.

Helbing & Molnar's social-force model (Phys. Rev. E 51, 1995), with Moussaid et al.'s group cohesion
(PLoS ONE 5, 2010) in its simplest form. Every pedestrian is a disc of radius ``radius`` with a
position, a velocity, a goal and a preferred speed. Per time step dt the acceleration is the sum of

* driving:   (v0 e - v) / tau, e = unit vector to the goal, turned by a slowly wandering angle
             (an Ornstein-Uhlenbeck process, so paths curve gently instead of being ruler-straight);
* repulsion: A exp((2r - d) / B) away from every other pedestrian, weighted by the anisotropy
             lam + (1 - lam)(1 + cos phi) / 2 (people react less to those behind them), plus a
             contact force k (2r - d) when two discs overlap (collision avoidance of last resort);
* walls:     10 exp((r - d) / 0.2) away from the corridor walls and from a pillar;
* groups:    a pull toward the group's centre when a member lags more than ~0.6 m behind it.

Integration is semi-implicit Euler at dt = 0.1 s; speeds are capped at 1.3 v0. Positions are recorded
every 4th step (0.4 s = 2.5 fps, ETH/UCY's rate) as rows (frame, agent id, x, y), the ETH/UCY layout.

Scene: a corridor ``length`` x ``width`` m with walls at y = 0 and y = width and a pillar in the middle.
People arrive at both ends (a Poisson stream, ``arrivals_per_min``): most walk to the far end, some
diagonally, some in groups of 2-3, and some stop and stand for a while before walking on.
Parameter values follow pysocialforce's defaults (A = 2.1, B = 0.3, tau = 0.5 s). Written here (not
pysocialforce) because that package has a fixed agent set (no arrivals) and a ~30 s numba JIT start.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

DT = 0.1               # integration step (s)
RECORD_EVERY = 4       # 4 x 0.1 s = 0.4 s per recorded frame
DENSITIES = {"sparse": 20.0, "medium": 40.0, "dense": 70.0}   # arrivals per minute


@dataclass(frozen=True)
class CrowdConfig:
    length: float = 20.0            # corridor length (m); people enter at x = 0 or x = length
    width: float = 8.0              # walls at y = 0 and y = width
    pillar: tuple = (10.0, 4.0, 0.5)  # x, y, radius of a column in the corridor
    arrivals_per_min: float = 40.0
    duration: float = 60.0          # recorded seconds (after the warm-up)
    warmup: float = 20.0            # seconds simulated before recording, so the corridor is already busy
    speed_mean: float = 1.3         # preferred speed ~ N(1.3, 0.25) m/s, clipped to [0.5, 2.2]
    speed_sd: float = 0.25
    diagonal_share: float = 0.25    # walk to the far end but also across the corridor
    group_share: float = 0.3        # arrivals that come as a group of 2-3
    stander_share: float = 0.12     # stop somewhere for 5-25 s, then walk on
    wander_sd: float = 0.15         # rad, stationary s.d. of the wandering heading
    wander_time: float = 2.0        # s, its correlation time
    radius: float = 0.3
    A: float = 2.1                  # repulsion strength (m/s^2)
    B: float = 0.3                  # repulsion range (m)
    anisotropy: float = 0.35        # lam: weight of the force from someone right behind
    tau: float = 0.5                # relaxation time (s)


@dataclass
class _Agents:
    """The live pedestrians as parallel arrays (rows are removed when they leave)."""
    ident: np.ndarray    # (n,) int
    pos: np.ndarray      # (n, 2)
    vel: np.ndarray      # (n, 2)
    goal: np.ndarray     # (n, 2)
    v0: np.ndarray       # (n,) preferred speed; 0 while standing
    walk_v0: np.ndarray  # (n,) speed to resume after standing
    stand: np.ndarray    # (n, 2): stop after this many s, for this many s (inf: never stops)
    group: np.ndarray    # (n,) group id, -1 = alone
    wander: np.ndarray   # (n,) heading offset (rad)

    @classmethod
    def empty(cls) -> "_Agents":
        z = np.zeros
        return cls(z(0, int), z((0, 2)), z((0, 2)), z((0, 2)), z(0), z(0), z((0, 2)), z(0, int), z(0))

    def extend(self, other: "_Agents") -> "_Agents":
        return _Agents(**{f: np.concatenate([getattr(self, f), getattr(other, f)])
                          for f in self.__dataclass_fields__})

    def keep(self, mask: np.ndarray) -> "_Agents":
        return _Agents(**{f: getattr(self, f)[mask] for f in self.__dataclass_fields__})


# ----------------------------------------------------------------------------- arrivals

def _arrivals(cfg: CrowdConfig, rng: np.random.Generator, next_id: int, next_group: int) -> _Agents:
    """One arrival event: a single walker or a group, entering at a random end."""
    size = rng.integers(2, 4) if rng.random() < cfg.group_share else 1
    from_left = rng.random() < 0.5
    x0 = 0.2 if from_left else cfg.length - 0.2
    y0 = rng.uniform(0.8, cfg.width - 0.8)
    y_goal = rng.uniform(0.8, cfg.width - 0.8) if rng.random() < cfg.diagonal_share else \
        np.clip(y0 + rng.normal(0, 0.7), 0.8, cfg.width - 0.8)
    goal = np.array([cfg.length + 3.0 if from_left else -3.0, y_goal])
    speed = np.clip(rng.normal(cfg.speed_mean, cfg.speed_sd), 0.5, 2.2)   # a group shares one speed
    offsets = np.stack([np.full(size, -0.4 if from_left else 0.4) * np.arange(size) * 0.5,
                        np.linspace(-0.35, 0.35, size) if size > 1 else np.zeros(1)], 1)
    pos = np.array([x0, y0]) + offsets + rng.normal(0, 0.05, (size, 2))
    pos[:, 1] = np.clip(pos[:, 1], 0.5, cfg.width - 0.5)
    direction = (goal - pos) / np.linalg.norm(goal - pos, axis=1, keepdims=True)
    stand = np.full((size, 2), np.inf)
    if size == 1 and rng.random() < cfg.stander_share:
        stand[0] = rng.uniform(3.0, 12.0), rng.uniform(5.0, 25.0)   # walk a bit, stop, then go on
    return _Agents(ident=next_id + np.arange(size), pos=pos, vel=direction * speed * 0.8,
                   goal=np.repeat(goal[None], size, 0), v0=np.full(size, speed), walk_v0=np.full(size, speed),
                   stand=stand, group=np.full(size, next_group if size > 1 else -1),
                   wander=rng.normal(0, cfg.wander_sd, size))


# ----------------------------------------------------------------------------- forces

def _driving(a: _Agents, cfg: CrowdConfig) -> np.ndarray:
    to_goal = a.goal - a.pos
    angle = np.arctan2(to_goal[:, 1], to_goal[:, 0]) + a.wander
    desired = a.v0[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    return (desired - a.vel) / cfg.tau


def _repulsion(a: _Agents, cfg: CrowdConfig) -> np.ndarray:
    """Pairwise pedestrian forces, all pairs at once (n is a few dozen)."""
    diff = a.pos[:, None, :] - a.pos[None, :, :]            # (i, j, 2): from j to i
    dist = np.sqrt((diff ** 2).sum(2))
    np.fill_diagonal(dist, np.inf)
    n_ij = diff / np.where(np.isfinite(dist), dist, 1.0)[..., None]
    heading = a.vel / np.maximum(np.hypot(*a.vel.T), 1e-6)[:, None]
    cos_phi = -(n_ij * heading[:, None, :]).sum(2)          # +1: j is straight ahead of i
    weight = cfg.anisotropy + (1 - cfg.anisotropy) * (1 + cos_phi) / 2
    magnitude = cfg.A * np.exp((2 * cfg.radius - dist) / cfg.B) * weight
    magnitude += 120.0 * np.maximum(2 * cfg.radius - dist, 0.0)           # contact: bodies don't overlap
    return (magnitude[..., None] * n_ij).sum(1)


def _walls(a: _Agents, cfg: CrowdConfig) -> np.ndarray:
    r = cfg.radius
    force = np.zeros_like(a.pos)
    force[:, 1] += 10 * np.exp((r - a.pos[:, 1]) / 0.2)                 # wall at y = 0 pushes up
    force[:, 1] -= 10 * np.exp((r - (cfg.width - a.pos[:, 1])) / 0.2)   # wall at y = width pushes down
    px, py, pr = cfg.pillar
    away = a.pos - np.array([px, py])
    d = np.maximum(np.hypot(*away.T), 1e-6)
    force += (10 * np.exp((r - (d - pr)) / 0.2) / d)[:, None] * away
    return force


def _group_cohesion(a: _Agents) -> np.ndarray:
    """Pull each group member toward its group's centre, only when it lags more than 0.6 m behind."""
    force = np.zeros_like(a.pos)
    member = a.group >= 0
    if not member.any():
        return force
    _, which = np.unique(a.group[member], return_inverse=True)
    size = np.bincount(which)
    centre = np.stack([np.bincount(which, a.pos[member, d]) for d in (0, 1)], 1) / size[:, None]
    to_centre = centre[which] - a.pos[member]
    lagging = (np.hypot(*to_centre.T) > 0.6) & (size[which] > 1)
    force[member] = 2.0 * to_centre * lagging[:, None]
    return force


# ----------------------------------------------------------------------------- time stepping

def _step(a: _Agents, cfg: CrowdConfig, rng: np.random.Generator) -> _Agents:
    theta = np.exp(-DT / cfg.wander_time)                    # exact OU update over one step
    a.wander = theta * a.wander + cfg.wander_sd * np.sqrt(1 - theta ** 2) * rng.normal(size=len(a.v0))
    force = _driving(a, cfg) + _repulsion(a, cfg) + _walls(a, cfg) + _group_cohesion(a)
    a.vel = a.vel + DT * force
    speed = np.hypot(*a.vel.T)[:, None]
    cap = np.maximum(1.3 * a.v0, 0.15)[:, None]              # standing people may still shuffle aside
    a.vel = a.vel * np.minimum(1.0, cap / np.maximum(speed, 1e-9))
    a.pos = a.pos + DT * a.vel
    a.pos[:, 1] = np.clip(a.pos[:, 1], 0.05, cfg.width - 0.05)   # nobody walks through a wall
    walking_first = a.stand[:, 0] > 0                         # stand = (walk for, then stand for) seconds
    a.stand[walking_first, 0] -= DT
    standing = ~walking_first & (a.stand[:, 1] > 0)
    a.stand[standing, 1] -= DT
    a.v0 = np.where(standing, 0.0, a.walk_v0)
    return a


def simulate(seed: int = 0, density: str | float = "medium", cfg: CrowdConfig | None = None) -> np.ndarray:
    """Rows (frame, agent id, x, y) of one simulated scene, frames 0.4 s apart (ETH/UCY layout).

    ``density`` is a name from DENSITIES or an arrival rate in people per minute.
    """
    rate = DENSITIES[density] if isinstance(density, str) else float(density)
    cfg = replace(cfg or CrowdConfig(), arrivals_per_min=rate)
    rng = np.random.default_rng(seed)
    agents, next_id, next_group = _Agents.empty(), 0, 0
    warm, total = round(cfg.warmup / DT), round((cfg.warmup + cfg.duration) / DT)
    rows = []
    for step in range(total):
        if rng.random() < cfg.arrivals_per_min / 60 * DT:     # Poisson arrivals, one event per step at most
            new = _arrivals(cfg, rng, next_id, next_group)
            agents, next_id, next_group = agents.extend(new), next_id + len(new.v0), next_group + 1
        if len(agents.v0):
            agents = _step(agents, cfg, rng)
            inside = (agents.pos[:, 0] > -0.5) & (agents.pos[:, 0] < cfg.length + 0.5)
            agents = agents.keep(inside)
        if step >= warm and (step - warm) % RECORD_EVERY == 0 and len(agents.v0):
            frame = (step - warm) // RECORD_EVERY
            rows.append(np.column_stack([np.full(len(agents.v0), frame), agents.ident, agents.pos]))
    return np.concatenate(rows) if rows else np.zeros((0, 4))

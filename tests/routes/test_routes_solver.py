"""The solver boundary on plain routing problems (the same path the product uses)."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from remoteops.routes.solver import Fleet, Job, RoutingProblem, SolveOptions, solve_problem

QUICK = SolveOptions(seconds=30, seed=5, max_iterations=300)


def euclid(points):
    return [[round(math.dist(a, b)) for b in points] for a in points]


def brute_force_cvrp(distance, demand, capacity):
    """Optimal cost by trying every order and every split into capacity-feasible trips."""
    clients = list(range(1, len(distance)))
    best = math.inf
    for order in itertools.permutations(clients):
        for cuts in itertools.product((False, True), repeat=len(order) - 1):
            routes, current = [], [order[0]]
            for client, cut in zip(order[1:], cuts, strict=True):
                if cut:
                    routes.append(current)
                    current = []
                current.append(client)
            routes.append(current)
            if any(sum(demand[c] for c in r) > capacity for r in routes):
                continue
            cost = sum(
                distance[0][r[0]]
                + sum(distance[a][b] for a, b in zip(r, r[1:], strict=False))
                + distance[r[-1]][0]
                for r in routes
            )
            best = min(best, cost)
    return best


@pytest.mark.parametrize("instance", range(4))
def test_tiny_cvrp_is_solved_to_optimality(instance):
    rng = random.Random(instance)
    points = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(6)]
    demand = [0] + [rng.randint(1, 5) for _ in range(6)]
    distance = euclid(points)
    problem = RoutingProblem(
        distance=distance,
        duration=distance,
        jobs=tuple(Job(i, demand[i], 0) for i in range(1, 7)),
        fleets=(Fleet(count=6, capacity=9),),
    )
    result = solve_problem(problem, QUICK)
    assert result.feasible and not result.unserved
    assert result.cost == brute_force_cvrp(distance, demand, 9)
    assert sorted(v.job for r in result.routes for v in r.visits) == list(range(6))
    for route in result.routes:
        assert sum(demand[problem.jobs[v.job].location] for v in route.visits) <= 9


def test_time_windows_and_service_are_kept():
    distance = euclid([(0, 0), (10, 0), (20, 0), (0, 10)])
    jobs = (
        Job(1, 1, 5, early=100, late=110),
        Job(2, 1, 5, early=0, late=50),
        Job(3, 1, 5, early=200, late=260),
    )
    problem = RoutingProblem(distance, distance, jobs, (Fleet(count=3, capacity=10, late=400),))
    result = solve_problem(problem, QUICK)
    assert result.feasible and not result.unserved
    for route in result.routes:
        for v in route.visits:
            job = jobs[v.job]
            assert job.early <= v.start <= job.late
            assert v.end == v.start + job.service
            assert v.arrival <= v.start


def test_jobs_restricted_to_fleets_only_ride_with_them():
    rng = random.Random(11)
    points = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(12)]
    distance = euclid(points)
    fleets = (
        Fleet(count=2, capacity=10, early=0, late=1000),
        Fleet(count=2, capacity=10, early=0, late=1000),
    )
    jobs = tuple(
        Job(i, 1, 0, fleets=frozenset({i % 2})) if i <= 8 else Job(i, 1, 0) for i in range(1, 13)
    )
    result = solve_problem(RoutingProblem(distance, distance, jobs, fleets), QUICK)
    assert result.feasible and not result.unserved
    for route in result.routes:
        for v in route.visits:
            allowed = jobs[v.job].fleets
            assert allowed is None or route.fleet in allowed


def test_optional_jobs_are_served_only_when_worth_their_prize():
    distance = euclid([(0, 0), (10, 0), (500, 0)])
    jobs = (
        Job(1, 1, 0, required=False, prize=1000),  # 20 there and back: worth it
        Job(2, 1, 0, required=False, prize=100),  # 1000 there and back: not worth it
    )
    result = solve_problem(RoutingProblem(distance, distance, jobs, (Fleet(1, 10),)), QUICK)
    assert result.unserved == (1,)
    assert [v.job for r in result.routes for v in r.visits] == [0]


def test_reloading_lets_one_vehicle_do_several_trips():
    distance = euclid([(0, 0), (10, 0), (0, 10), (-10, 0), (0, -10)])
    jobs = tuple(Job(i, 4, 0) for i in range(1, 5))
    problem = RoutingProblem(
        distance, distance, jobs, (Fleet(count=1, capacity=8, max_reloads=3),), depot_service=3
    )
    result = solve_problem(problem, QUICK)
    assert result.feasible and not result.unserved
    (route,) = result.routes
    assert route.trips == 2
    for trip in range(route.trips):
        assert sum(4 for v in route.visits if v.trip == trip) <= 8
    assert len(route.depot_times) == 3  # start, reload, end


def test_same_seed_same_routes_and_parallel_seeds():
    rng = random.Random(3)
    points = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(25)]
    distance = euclid(points)
    problem = RoutingProblem(
        distance, distance, tuple(Job(i, 1, 0) for i in range(1, 26)), (Fleet(10, 5),)
    )
    a = solve_problem(problem, QUICK)
    b = solve_problem(problem, QUICK)
    assert a.stopped_by == "max iterations"
    assert [r.visits for r in a.routes] == [r.visits for r in b.routes]
    both = solve_problem(problem, SolveOptions(seconds=30, seed=5, max_iterations=300, workers=2))
    assert both.seed in (5, 6) and both.feasible
    assert both.cost <= a.cost  # seed 5 is among the two searched


def test_bad_problems_are_rejected():
    distance = euclid([(0, 0), (1, 1)])
    with pytest.raises(ValueError):
        solve_problem(RoutingProblem(distance, distance, (Job(5, 1, 0),), (Fleet(1, 1),)))
    with pytest.raises(ValueError):
        solve_problem(RoutingProblem([[0, 1]], [[0, 1]], (), (Fleet(1, 1),)))

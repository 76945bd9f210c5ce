from engine.schedule import Stage, allocate, plan, scale_sizes, stage_costs


def test_sizes_double_from_the_coarsest_scale_up_to_the_requested_size():
    assert scale_sizes(512, 128) == [128, 256, 512]
    assert scale_sizes(400, 128) == [200, 400]
    assert scale_sizes(64, 128) == [64]


def test_iterations_add_up_and_coarse_scales_get_more():
    stages = plan(512, 150, 128)
    assert [s.longest for s in stages] == [128, 256, 512]
    assert sum(s.iterations for s in stages) == 150
    assert stages[0].iterations > stages[1].iterations > stages[2].iterations >= 1


def test_too_few_iterations_drop_the_coarsest_scales_first():
    assert plan(512, 2, 128) == [Stage(256, 1), Stage(512, 1)]
    assert plan(512, 1, 128) == [Stage(512, 1)]


def test_allocation_never_gives_a_scale_zero_iterations():
    assert allocate(3, [100.0, 1.0, 1.0]) == [1, 1, 1]
    assert sum(allocate(7, [9.0, 3.0, 1.0])) == 7


def test_cost_is_relative_to_the_final_pixel_count():
    assert stage_costs([Stage(128, 5), Stage(256, 2), Stage(512, 1)]) == [1 / 16, 1 / 4, 1.0]

from engine.optimizers import OPTIMIZERS
from engine.surface.surfaces import SURFACES


def test_catalog_lists_every_surface_optimizer_and_schedule(client):
    body = client.get("/api/v1/catalog").json()
    assert [s["name"] for s in body["surfaces"]] == list(SURFACES)
    assert [o["id"] for o in body["optimizers"]] == list(OPTIMIZERS)
    assert {s["name"] for s in body["schedules"]} == {
        "constant",
        "power",
        "exponential",
        "piecewise",
        "step",
        "linear",
        "plateau",
    }
    assert body["clip_modes"] == ["value", "norm"]


def test_every_optimizer_has_its_rule_as_latex_and_mathml_and_ranged_hyperparameters(client):
    for opt in client.get("/api/v1/catalog").json()["optimizers"]:
        assert opt["formula"], opt["id"]
        for line in opt["formula"]:
            assert line["mathml"].startswith("<math") and line["latex"]
        names = [h["name"] for h in opt["hyperparameters"]]
        assert names[0] == "learning_rate"
        for h in opt["hyperparameters"]:
            assert h["min"] <= h["default"] <= h["max"]
            assert h["scale"] in ("log", "linear")
        lr = opt["hyperparameters"][0]
        assert lr["scale"] == "log"


def test_surfaces_carry_formula_domain_minima_and_default_start(client):
    surfaces = {s["name"]: s for s in client.get("/api/v1/catalog").json()["surfaces"]}
    assert surfaces["himmelblau"]["minima"].__len__() == 4
    assert surfaces["rosenbrock"]["minima"] == [[1.0, 1.0]]
    assert [p["name"] for p in surfaces["quadratic"]["params"]] == ["kappa", "theta"]
    for s in surfaces.values():
        (x0, x1), (y0, y1) = s["domain"]
        x, y = s["default_start"]
        assert x0 <= x <= x1 and y0 <= y <= y1
        assert "<math" in s["formula"]["mathml"]


def test_plotly_is_served_from_the_installed_wheel(client):
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200
    assert "plotly.js v" in r.text[:200]


def test_api_docs_work_offline(client):
    page = client.get("/docs").text
    assert "/vendor/swagger/swagger-ui-bundle.js" in page and "cdn." not in page
    assert client.get("/vendor/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/vendor/swagger/swagger-ui.css").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "DescentLab"


def test_momentum_methods_name_the_slider_of_their_terminal_velocity_factor(client):
    optimizers = {o["id"]: o for o in client.get("/api/v1/catalog").json()["optimizers"]}
    with_velocity = {name for name, o in optimizers.items() if o["terminal_velocity"] is not None}
    assert with_velocity == {"momentum", "nesterov", "rmsprop_nesterov"}
    for name in with_velocity:
        factor = optimizers[name]["terminal_velocity"]
        assert factor["hyperparameter"] == "momentum" and factor["latex"] == r"\frac{1}{1-\alpha}"
        assert factor["mathml"].startswith("<math")

#!/usr/bin/env python3
"""An example controller for the Bitgrid test bed (docs/testbed.md), in Python (standard library only).

It listens on a local port; Bitgrid POSTs one observation per interval as JSON and reads the
action it answers. Run it, then score it:

    python3 examples/controllers/peak_shaver.py --port 8765
    npx bitgrid testbed --controller http://127.0.0.1:8765/

With --port 0 it picks a free port. Either way it prints the URL it listens on as its first line.
The rules are those of peak-shaver.mjs: EVs and buses at the lowest rate that meets their
departure, the battery charging in light-load hours, discharging in peak hours and shaving import
above the billing demand already in force (and a DR event's import limit while it holds), training
jobs first come, first served.
"""

import argparse
import json
import sys
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROTOCOL = "bitgrid.controller/1"
# Share of a battery kept for peak shaving when discharging for the time-of-use spread.
PEAK_RESERVE_SOC = 0.3
# Import is held this far below the billing demand already paid for, leaving room for error.
SHAVE_MARGIN = 0.95
# Light-load charging stops at this SoC, leaving room for PV.
LIGHT_CHARGE_TARGET_SOC = 0.9
# Largest observation read, bytes (one for the reference district is about 100 kB).
MAX_BODY_BYTES = 10 * 1024 * 1024


def hours_between(a, b):
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 3600


def decide(obs):
    now = obs["time"]["start"]
    dt_h = obs["time"]["intervalMinutes"] / 60
    action = {"batteryKw": {}, "evKw": {}, "busKw": {}, "datacenters": {}}

    flex_kw = 0.0
    for s in obs["evSessions"]:
        kw = s["maxPowerKw"]
        if s["departure"] is not None and s["energyRequestKwh"] is not None:
            hours_left = max(dt_h, hours_between(now, s["departure"]))
            kw = min(s["maxPowerKw"], max(0.0, s["energyRequestKwh"] - s["deliveredKwh"]) / hours_left)
        action["evKw"][s["id"]] = kw
        flex_kw += kw

    depots = {d["id"]: d for d in obs["depots"]}
    used = {}
    for b in obs["buses"]:
        if not b["atDepot"] or b["nextDeparture"] is None:
            continue
        dep = depots[b["depotId"]]
        if used.get(dep["id"], 0) >= dep["chargers"]:
            continue
        need_kwh = max(0.0, b["requiredSocKwh"] - b["socKwh"]) / dep["chargingEfficiency"]
        if need_kwh <= 0:
            continue
        hours_left = max(dt_h, hours_between(now, b["nextDeparture"]) - 0.5)
        kw = min(dep["chargerKw"], need_kwh / hours_left)
        action["busKw"][b["id"]] = kw
        used[dep["id"]] = used.get(dep["id"], 0) + 1
        flex_kw += kw

    dc_kw = 0.0
    for dc in obs["datacenters"]:
        free = dc["trainingGpus"]
        run = []
        for j in dc["jobs"]:
            if j["gpus"] <= free:
                free -= j["gpus"]
                run.append(j["id"])
        action["datacenters"][dc["id"]] = {"runJobIds": run, "powerCapFraction": 1}
        dc_kw += dc["inferenceItKw"] * dc["pue"]

    pv_kw = sum(p["availableKw"] for p in obs["pv"])
    net_kw = obs["fixedLoadKw"] + dc_kw + flex_kw - pv_kw
    band = obs["prices"]["band"][0]
    # A DR event (an import limit the grid operator announced) that holds now lowers the line.
    t = datetime.fromisoformat(now)
    dr_limits_kw = [
        s["value"]
        for s in obs["signals"]
        if s["kind"] == "import_limit_kw"
        and datetime.fromisoformat(s["start"]) <= t < datetime.fromisoformat(s["end"])
    ]
    dr_active = len(dr_limits_kw) > 0
    shave_above_kw = min(
        [max(obs["grid"]["billingDemandKw"], obs["grid"]["monthPeakImportKw"]) * SHAVE_MARGIN] + dr_limits_kw
    )
    share = 1 / max(1, len(obs["batteries"]))
    for b in obs["batteries"]:
        soc = b["socKwh"] / b["capacityKwh"]
        kw = 0.0
        if net_kw < 0:
            kw = -min(b["maxChargeKw"], -net_kw * share)
        elif (obs["prices"]["countsForDemand"][0] or dr_active) and net_kw > shave_above_kw:
            kw = min(b["maxDischargeKw"], (net_kw - shave_above_kw) * share)
        elif band == "peak" and soc > PEAK_RESERVE_SOC:
            kw = min(b["maxDischargeKw"], net_kw * share)
        elif band == "light" and soc < LIGHT_CHARGE_TARGET_SOC:
            # Charge below the peak already paid for, never setting a new one.
            headroom_kw = max(0.0, shave_above_kw - net_kw) * share
            kw = -min(b["maxChargeKw"], headroom_kw)
        action["batteryKw"][b["id"]] = kw
    return action


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length <= 0 or length > MAX_BODY_BYTES:
            return self.answer(400, {"error": f"body of {length} bytes (expected 1 to {MAX_BODY_BYTES})"})
        try:
            obs = json.loads(self.rfile.read(length))
        except ValueError as e:
            return self.answer(400, {"error": f"not JSON: {e}"})
        if obs.get("protocol") != PROTOCOL:
            return self.answer(400, {"error": f"protocol {obs.get('protocol')!r}, this controller speaks {PROTOCOL}"})
        self.answer(200, decide(obs))

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass  # one line per decision would drown the output


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

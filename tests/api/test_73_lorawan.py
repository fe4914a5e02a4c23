"""Devices in over LoRaWAN (issue #4; docs/ingest.md "LoRaWAN"): the recorded uplink webhook
bodies of ChirpStack v4 and The Things Stack v3 (tests/api/data/lorawan) posted as those
network servers post them land in the twin, decoded (CayenneLPP or the network server's
object), mapped per service group and per device profile, with the gateway RSSI/SNR on the
Device entity and the reception time as observedAt; bad bodies and unknown devices are refused
and counted. 127.0.0.1 only."""
import copy
import json
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402
from ingest_metrics import ingest_outcomes  # noqa: E402
from ngsild import V1, quote  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data", "lorawan")
CHIRPSTACK = "/iot/lorawan/chirpstack"
TTN = "/iot/lorawan/ttn"


def recorded(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


def provision(server, kind, items, service=None, expect=201):
    headers = {"Fiware-Service": service} if service else {}
    response = requests.post(f"{server.url}/iot/{kind}", json={kind: items}, headers=headers)
    assert response.status_code == expect, response.text


@pytest.fixture(scope="module")
def server():
    instance = CityTwinServer().start()
    provision(instance, "services", [
        # Every device of the "parks" webhook: CayenneLPP fields mapped to Smart Data Models
        # names; gps_3 needs no mapping to become a GeoProperty.
        {"apikey": "parks", "resource": "/iot/lorawan", "entity_type": "AirQualityObserved",
         "attributes": [
             {"object_id": "temperature_1", "name": "temperature", "type": "Number"},
             {"object_id": "relative_humidity_2", "name": "relativeHumidity", "type": "Number",
              "expression": "relative_humidity_2 / 100"}]},
        # Devices of the "Soil Probe" device profile on the same webhook: their own mapping.
        {"apikey": "parks", "resource": "/iot/lorawan/Soil_Probe", "entity_type": "SoilProbe",
         "explicitAttrs": True,
         "attributes": [{"object_id": "soil_moisture", "name": "soilMoisture", "type": "Number"},
                        {"object_id": "rssi", "name": "rssi", "type": "Number"}]},
        # Only provisioned devices.
        {"apikey": "closed", "resource": "/iot/lorawan", "entity_type": "Thing",
         "autoprovision": False},
    ], service="city")
    provision(instance, "devices", [
        {"device_id": "bus-stop-14", "entity_name": "urn:ngsi-ld:BusStop:14",
         "entity_type": "BusStop", "transport": "LORAWAN", "apikey": "parks",
         "attributes": [{"object_id": "temperature_1", "name": "airTemperature",
                         "type": "Number"}]},
    ], service="city")
    yield instance
    instance.cleanup()


def post(server, path, body, apikey="parks", **params):
    return requests.post(server.url + path, params={"k": apikey, **params}, json=body)


def entity(server, entity_id):
    response = requests.get(f"{server.url}{V1}/entities/{quote(entity_id)}",
                            headers={"NGSILD-Tenant": "city"})
    assert response.status_code == 200, response.text
    return response.json()


def history(server, entity_id, attribute):
    response = requests.get(f"{server.url}{V1}/temporal/entities/{quote(entity_id)}",
                            params={"attrs": attribute, "options": "temporalValues"},
                            headers={"NGSILD-Tenant": "city"})
    assert response.status_code == 200, response.text
    return response.json().get(attribute, {}).get("values", [])


def outcomes(server, outcome):
    return ingest_outcomes(server, "lorawan", outcome)


def test_chirpstack_cayenne_uplink_autoprovisions_by_dev_eui(server):
    response = post(server, CHIRPSTACK, recorded("chirpstack_up_cayenne.json"), event="up")
    assert response.status_code == 200, response.text
    body = entity(server, "urn:ngsi-ld:AirQualityObserved:0101010101010101")
    assert body["temperature"]["value"] == 21.5
    assert body["relativeHumidity"]["value"] == 0.485
    assert body["temperature"]["observedAt"] == "2026-12-04T10:15:30.123456Z"
    assert body["gps_3"]["type"] == "GeoProperty"
    assert body["gps_3"]["value"] == {"type": "Point", "coordinates": [-87.9094, 42.3519, 10]}
    # The best gateway's figures: on the entity and its NGSI-LD Device entity.
    assert body["rssi"]["value"] == -57
    assert body["snr"]["value"] == 10.25
    device = entity(server, "urn:ngsi-ld:Device:0101010101010101")
    assert device["rssi"]["value"] == -57
    assert device["supportedProtocol"]["value"] == ["lorawan"]
    registered = requests.get(f"{server.url}/iot/devices/0101010101010101",
                              headers={"Fiware-Service": "city"})
    assert registered.status_code == 200, registered.text
    assert registered.json()["transport"] == "LORAWAN"


def test_history_keeps_every_uplink_at_its_reception_time(server):
    second = recorded("chirpstack_up_cayenne.json")
    second["time"] = "2026-12-04T10:25:30Z"
    second["data"] = "AWcA3A=="  # temperature_1 = 22.0
    assert post(server, CHIRPSTACK, second, event="up").status_code == 200
    values = history(server, "urn:ngsi-ld:AirQualityObserved:0101010101010101", "temperature")
    assert sorted((at, value) for value, at in values) == [
        ("2026-12-04T10:15:30.123456Z", 21.5), ("2026-12-04T10:25:30.000Z", 22.0)]


def test_device_profile_selects_its_own_mapping(server):
    response = post(server, CHIRPSTACK, recorded("chirpstack_up_object.json"), event="up")
    assert response.status_code == 200, response.text
    body = entity(server, "urn:ngsi-ld:SoilProbe:a84041000181c2d2")
    assert body["soilMoisture"]["value"] == 31.7
    assert body["rssi"]["value"] == -110
    assert "soil_temperature" not in body  # explicitAttrs: only the profile's mapping


def test_the_things_stack_device_matched_by_device_id(server):
    response = post(server, TTN, recorded("tts_up_cayenne.json"))
    assert response.status_code == 200, response.text
    body = entity(server, "urn:ngsi-ld:BusStop:14")
    assert body["airTemperature"]["value"] == 21.5
    assert body["airTemperature"]["observedAt"] == "2026-12-04T11:05:00.000Z"
    assert entity(server, "urn:ngsi-ld:Device:bus-stop-14")["rssi"]["value"] == -88


def test_the_things_stack_decoded_payload(server):
    response = post(server, TTN, recorded("tts_up_decoded.json"))
    assert response.status_code == 200, response.text
    body = entity(server, "urn:ngsi-ld:AirQualityObserved:70b3d57ed0051a2b")
    assert body["temperature"]["value"] == 21.5
    assert body["gps_3"]["value"]["latitude"] == 42.3519  # TTS's own decoder: kept as is
    assert body["snr"]["value"] == 9.75


def test_chirpstack_status_event_is_the_device_battery(server):
    status = {"deduplicationId": "5d7bd3e2-3b0c-4a8e-9b7c-0c6a0a1e2f31",
              "time": "2026-12-04T10:30:00Z",
              "deviceInfo": copy.deepcopy(recorded("chirpstack_up_cayenne.json")["deviceInfo"]),
              "margin": 9, "batteryLevel": 87.5}
    assert post(server, CHIRPSTACK, status, event="status").status_code == 200
    device = entity(server, "urn:ngsi-ld:Device:0101010101010101")
    assert device["batteryLevel"]["value"] == 87.5


def test_other_events_are_acknowledged_and_not_written(server):
    join = {"deviceInfo": {"devEui": "0202020202020202", "deviceName": "new"},
            "devAddr": "01020304"}
    assert post(server, CHIRPSTACK, join, event="join").status_code == 200
    tts_join = {"end_device_ids": {"device_id": "new", "dev_eui": "0202020202020202"},
                "join_accept": {"session_key_id": "AXBSH1Pk6Z0G166"}}
    assert post(server, TTN, tts_join).status_code == 200
    # An uplink with neither payload nor gateway figures has nothing to write.
    assert post(server, CHIRPSTACK, join, event="up").status_code == 200
    response = requests.get(f"{server.url}/iot/devices/0202020202020202",
                            headers={"Fiware-Service": "city"})
    assert response.status_code == 404


def test_bad_bodies_are_refused_and_counted(server):
    before = outcomes(server, "invalid")
    bad_lpp = recorded("chirpstack_up_cayenne.json")
    bad_lpp["data"] = "AWcA"  # a temperature item cut short
    response = post(server, CHIRPSTACK, bad_lpp, event="up")
    assert response.status_code == 400
    assert "CayenneLPP" in response.json()["message"]
    response = requests.post(server.url + TTN, params={"k": "parks"}, data="{not json",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert outcomes(server, "invalid") == before + 2


def test_unknown_devices_and_apikeys(server):
    body = recorded("tts_up_cayenne.json")
    response = post(server, TTN, body, apikey="closed")
    assert response.status_code == 404
    assert response.json()["name"] == "DEVICE_NOT_FOUND"
    response = post(server, TTN, body, apikey="nobody")
    assert response.status_code == 404
    assert response.json()["name"] == "DEVICE_GROUP_NOT_FOUND"
    unnamed = copy.deepcopy(body)
    del unnamed["end_device_ids"]
    assert post(server, TTN, unnamed).status_code == 400

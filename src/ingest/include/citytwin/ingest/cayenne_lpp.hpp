#pragma once

// Cayenne Low Power Payload (LPP) 1.0, the binary format many LoRaWAN sensors send: a
// sequence of [channel][type][value] items, each value big-endian in the size and resolution
// its IPSO Smart Object type fixes (type = IPSO object id - 3200).

#include <cstddef>
#include <string_view>

#include "citytwin/common/result.hpp"
#include "citytwin/ingest/measures.hpp"

namespace citytwin::ingest {

// Decodes one LPP payload into one measure group. Fields are named "<type>_<channel>" as the
// LPP decoders of The Things Stack and ChirpStack name them ("temperature_1",
// "relative_humidity_2", "gps_3"): digital_in, digital_out, analog_in, analog_out, luminosity,
// presence, temperature, relative_humidity, accelerometer {x, y, z} (G), barometric_pressure
// (hPa), gyrometer {x, y, z} (deg/s), gps (a GeoJSON Point [longitude, latitude, altitude m]).
// Errors (kBadRequestData, saying at which byte): an unknown type, a truncated item, a
// repeated channel and type, a position outside [-90, 90] x [-180, 180], more than
// `max_fields` items, an empty payload.
Result<MeasureGroup> decode_cayenne_lpp(std::string_view payload, std::size_t max_fields = 1000);

}  // namespace citytwin::ingest

#pragma once

// Synthetic counter-camera frames of a shopper's phone showing a voucher QR code, for the scanner
// tests and benchmarks (library kiosk_test_frames). Everything is deterministic: the same
// options give the same pixels on every run and machine.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "kiosk/scanner/qr_decoder.hpp"

namespace kiosk_edge::testing {

// A voucher token as the voucher page shows it: "V1." followed by 176 characters of upper-case
// base32 ([A-Z2-7]), drawn from `rng`. Upper case keeps the QR in alphanumeric mode (version 8
// at level M).
std::string RandomVoucherToken(std::mt19937_64& rng);

// How the camera sees the phone. The defaults are a sharp, upright, light-mode phone filling
// about half the frame's height; each field is one transform, and they combine.
struct PhoneScreenOptions {
  int frame_width = 640;
  int frame_height = 480;
  // The code's side (quiet zone included) as a fraction of the frame's shorter side.
  double code_fraction = 0.5;
  // Where the code's centre is, as a fraction of the frame (0.5, 0.5: the middle).
  double centre_x = 0.5;
  double centre_y = 0.5;
  // The phone turned clockwise by this many degrees around the code's centre (any angle; edges
  // are anti-aliased by supersampling, as a camera's pixels average the light they get).
  double rotation_degrees = 0;
  // Dark mode: light modules on a black screen and quiet zone.
  bool inverted = false;
  // Gaussian blur of the whole frame (out of focus, motion); 0: none.
  double blur_sigma = 0;
  // Moiré: the screen area is multiplied by 1 - moire_amplitude * p, where p in [0, 1] is two
  // crossed sinusoids of period moire_period pixels at slightly different angles (a screen's
  // pixel grid beating with the sensor's). 0: none.
  double moire_amplitude = 0;
  double moire_period = 6.0;
  // JPEG compression at this quality (EncodeJpeg, then decoded back); 0: none.
  int jpeg_quality = 0;
  // Sensor noise added to every pixel (Gaussian, in grey levels).
  double noise_sigma = 2.0;
  // Seeds the background's gradient and texture and the noise.
  std::uint64_t seed = 1;
};

// Renders `token` as the voucher page does (EncodeQr at level M, dark modules on a white field
// with a 4-module quiet zone) on a phone held in front of a counter background (a gradient with
// low-frequency texture, never uniform), then applies the transforms in `options`: rotation and
// scale when compositing, then moiré on the screen, blur, noise and JPEG over the frame.
// An empty `token` renders the same scene without the phone: background only, same transforms.
// Errors: kInvalidArgument if the frame size is not positive or the code does not fit in it,
// or if EncodeQr or EncodeJpeg fails on the inputs.
Result<GreyImage> RenderPhoneScreen(std::string_view token, const PhoneScreenOptions& options);

}  // namespace kiosk_edge::testing

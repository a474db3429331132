// Polynomial for 2^f on f in [-0.5, 0.5]: the Taylor series of e^(f ln 2) to degree 6.
// Truncation error <= (0.5 ln 2)^7 / 7! ~ 1.2e-7 relative, about one float ulp.
#pragma once

namespace tessera {
namespace exp2_poly {

constexpr int kDegree = 6;
constexpr float kC[kDegree + 1] = {
    1.0f,                     // 1
    0.693147180559945309f,    // ln2
    0.240226506959100712f,    // ln2^2 / 2!
    0.0555041086648215800f,   // ln2^3 / 3!
    0.00961812910762847716f,  // ln2^4 / 4!
    0.00133335581464284434f,  // ln2^5 / 5!
    0.000154035303933816099f  // ln2^6 / 6!
};

}  // namespace exp2_poly
}  // namespace tessera

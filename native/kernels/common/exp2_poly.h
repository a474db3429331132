// Polynomial for 2^f on f in [-0.5, 0.5], degree 5: a least-squares fit of the relative error
// on Chebyshev nodes (coefficients rounded to float). Max relative error 1.4e-7, about one float
// ulp, measured on 200,001 points: one FMA cheaper than the degree-6 Taylor series it replaced.
#pragma once

namespace tessera {
namespace exp2_poly {

constexpr int kDegree = 5;
constexpr float kC[kDegree + 1] = {
    1.0000001192092896f,    // ~1
    0.6931469440460205f,    // ~ln2
    0.24022121727466583f,   // ~ln2^2 / 2!
    0.05550742521882057f,   // ~ln2^3 / 3!
    0.009675459936261177f,  // ~ln2^4 / 4!
    0.0013266970636323094f  // ~ln2^5 / 5! (absorbs the higher terms)
};

}  // namespace exp2_poly
}  // namespace tessera

"""Reference activations in higher precision, and the ULP error measure.

A float32 result is checked against the formula evaluated in float64 and a
float64 result against np.longdouble (x87 80-bit on x86-64: 11 more bits).
Every formula is written the way that is accurate in that precision too
(sigma via exp(-|x|), sech^2 via exp(-2|x|), softplus via log1p), so the
reference's own error is far below one ULP of the tested dtype.  The exact
GELU needs erfc, which NumPy lacks: float32 uses scipy's float64 erfc, float64
uses mpmath (see ``gelu_mpmath``) on a sample.
"""
import numpy as np

SQRT_2_OVER_PI = "0.79788456080286535587989211986876373695171726232986"
GELU_TANH_K = "0.044715"


def ref_dtype(dtype):
    """The higher precision a dtype is checked against."""
    return np.float64 if np.dtype(dtype) == np.float32 else np.longdouble


def const(text, rdtype):
    """A decimal constant rounded once to the reference dtype."""
    return np.array(text, dtype=rdtype) if rdtype is np.longdouble else rdtype(float(text))


def ulp(ref, dtype):
    """One unit in the last place of `ref` in `dtype`: 2^(e - p) for |ref| in
    [2^(e-1), 2^e), floored at the smallest subnormal (also for ref = 0).
    Worked out on ref rounded to dtype (fast), one binade lower where that
    rounding carried |ref| up to a power of two."""
    info = np.finfo(dtype)
    with np.errstate(over="ignore"):
        rounded = np.minimum(np.abs(ref.astype(dtype)), info.max)
    mantissa, exponent = np.frexp(rounded)
    carried = np.flatnonzero(mantissa == 0.5)       # few: compare only those
    carried = carried[np.abs(ref.flat[carried]) < rounded.flat[carried]]
    exponent.flat[carried] -= 1
    unit = np.ldexp(np.ones(ref.shape, dtype=dtype), exponent - (info.nmant + 1))
    unit = np.maximum(unit, info.smallest_subnormal)
    return unit.astype(ref.dtype)


def ulp_error(got, ref, dtype):
    """|got - ref| in ULPs of ref in `dtype`; 0 where both are the same
    infinity or both NaN, inf where only one is."""
    got = np.asarray(got).astype(ref.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - ref) / ulp(ref, dtype)
    same_special = (np.isnan(got) & np.isnan(ref)) | (np.isinf(ref) & (got == ref))
    err = np.where(same_special, 0.0, err)
    return np.where(np.isnan(err), np.inf, err)


def sigmoid_pair(x):
    """(sigma(x), sigma(-x)) without cancellation, in x's dtype."""
    e = np.exp(-np.abs(x))
    big, small = 1 / (1 + e), e / (1 + e)
    pos = x >= 0
    return np.where(pos, big, small), np.where(pos, small, big)


class Reference:
    """f, f' and the terms of f' of every activation, evaluated on fixed
    points x (exactly representable in the tested dtype) in the reference
    precision; results are cached since several functions share parts."""

    def __init__(self, x, dtype):
        self.dtype = np.dtype(dtype)
        self.r = ref_dtype(dtype)
        self.x = np.asarray(x, dtype=dtype).astype(self.r)
        self._cache = {}

    def _get(self, key, compute):
        if key not in self._cache:
            with np.errstate(over="ignore", under="ignore"):
                self._cache[key] = compute()
        return self._cache[key]

    def sig(self):
        return self._get("sig", lambda: sigmoid_pair(self.x))

    def two_u(self):
        """2 u of the tanh-form GELU, u = sqrt(2/pi) (x + k x^3)."""
        c, k = const(SQRT_2_OVER_PI, self.r), const(GELU_TANH_K, self.r)
        x = np.clip(self.x, -1e30, 1e30)      # x^3 finite in the reference
        return self._get("two_u", lambda: 2 * c * (x + k * x * x * x))

    def sig_two_u(self):
        return self._get("sig2u", lambda: sigmoid_pair(self.two_u()))

    def forward(self, name, alpha):
        x, r = self.x, self.r
        if name == "identity":
            return x
        if name == "sigmoid":
            return self.sig()[0]
        if name == "tanh":
            return np.tanh(x)
        if name == "relu":
            return np.where(x < 0, r(0), x)
        if name == "leaky_relu":
            return np.where(x < 0, x * r(alpha), x)
        if name == "elu":
            return np.where(x < 0, r(alpha) * np.expm1(np.minimum(x, 0)), x)
        if name == "softplus":
            return self._get("softplus", lambda: np.maximum(x, 0)
                             + np.log1p(np.exp(-np.abs(x))))
        if name == "silu":
            return x * self.sig()[0]
        if name == "gelu_tanh":
            return np.where(np.isinf(x), np.maximum(x, 0), x * self.sig_two_u()[0])
        if name == "gelu":
            return self._gelu_f32()[0]
        raise KeyError(name)

    def derivative_terms(self, name, alpha):
        """f'(x) as a tuple of terms whose sum is f'(x): one term, except
        for the derivatives with an interior root (silu, gelu), whose
        accuracy is judged against the size of the terms."""
        x, r = self.x, self.r
        if name == "identity":
            return (np.ones_like(x),)
        if name == "sigmoid":
            e = self._get("e1", lambda: np.exp(-np.abs(x)))
            return (e / ((1 + e) * (1 + e)),)
        if name == "softplus":
            return (self.sig()[0],)
        if name == "tanh":
            e = self._get("e2", lambda: np.exp(-2 * np.abs(x)))
            return (4 * e / ((1 + e) * (1 + e)),)
        if name == "relu":
            return (np.where(x < 0, r(0), r(1)),)
        if name == "leaky_relu":
            return (np.where(x < 0, r(alpha), r(1)),)
        if name == "elu":
            return (np.where(x < 0, r(alpha) * np.exp(np.minimum(x, 0)), r(1)),)
        if name == "silu":
            s, s_neg = self.sig()
            return (s, np.where(np.isinf(x), r(0), x * s * s_neg))
        if name == "gelu_tanh":
            s, s_neg = self.sig_two_u()
            c, k = const(SQRT_2_OVER_PI, r), const(GELU_TANH_K, r)
            xc = np.clip(x, -1e30, 1e30)
            du = 2 * c * (1 + 3 * k * xc * xc)
            return (s, np.where(np.isinf(x), r(0), xc * du * s * s_neg))
        if name == "gelu":
            _, phi_cdf, x_pdf = self._gelu_f32()
            return (phi_cdf, x_pdf)
        raise KeyError(name)

    def derivative(self, name, alpha):
        return sum(self.derivative_terms(name, alpha))

    def _gelu_f32(self):
        """(x Phi(x), Phi(x), x phi(x)) in float64 for float32 inputs."""
        if self.r is not np.float64:
            raise ValueError("exact GELU in long double: use gelu_mpmath")
        from scipy.special import erfc
        x = self.x

        def compute():
            cdf = erfc(-x / np.sqrt(2.0)) / 2
            pdf = np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
            return (np.where(np.isinf(x), np.maximum(x, 0), x * cdf), cdf,
                    np.where(np.isinf(x), 0.0, x * pdf))
        return self._get("gelu", compute)


def gelu_mpmath(x):
    """(x Phi(x), Phi(x), x phi(x)) for float64 points x, with mpmath at
    100 bits, returned as long doubles."""
    import mpmath
    out = np.empty((3, len(x)), dtype=np.longdouble)
    with mpmath.workprec(100):
        for i, v in enumerate(np.asarray(x, dtype=np.float64)):
            if abs(v) > 1e4:   # Phi is 0 or 1 far beyond long double's range
                out[:, i] = (max(v, 0.0), float(v > 0), 0.0)
                continue
            xm = mpmath.mpf(float(v))
            cdf = mpmath.erfc(-xm / mpmath.sqrt(2)) / 2
            x_pdf = xm * mpmath.exp(-xm * xm / 2) / mpmath.sqrt(2 * mpmath.pi)
            for row, value in enumerate((xm * cdf, cdf, x_pdf)):
                out[row, i] = _to_longdouble(value)
    return out[0], out[1], out[2]


def _to_longdouble(value):
    """An mpmath number rounded to long double, through a decimal string;
    below the long double range (|x| < 1e-4900, far under any float64) it is 0."""
    import mpmath
    if abs(value) < mpmath.mpf("1e-4900"):
        return np.longdouble(0)
    return np.longdouble(mpmath.nstr(value, 25))

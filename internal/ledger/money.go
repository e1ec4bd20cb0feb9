package ledger

import (
	"fmt"
	"math"
	"time"
)

// Micros is an amount of money in integer micro-dollars (1 USD = 1_000_000
// Micros). The ledger stores and sums money only as Micros so totals never
// drift through floating-point addition; prices per second stay floats
// (they are configuration, e.g. 0.00076 USD/s) and are converted once, with
// rounding to the nearest micro-dollar, by [CostOf].
type Micros int64

// MicrosPerUSD is the number of Micros in one US dollar.
const MicrosPerUSD = 1_000_000

// USD converts m to dollars, for display and JSON only.
func (m Micros) USD() float64 { return float64(m) / MicrosPerUSD }

// String formats m as dollars with six decimals, e.g. "$0.002508".
func (m Micros) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s$%d.%06d", sign, v/MicrosPerUSD, v%MicrosPerUSD)
}

// FromUSD converts a dollar amount (for example a configured budget cap) to
// Micros, rounding to the nearest micro-dollar.
func FromUSD(usd float64) Micros { return Micros(math.Round(usd * MicrosPerUSD)) }

// CostOf is what pricePerSecondUSD × d costs, rounded to the nearest
// micro-dollar. Negative durations or prices cost nothing.
func CostOf(pricePerSecondUSD float64, d time.Duration) Micros {
	if pricePerSecondUSD <= 0 || d <= 0 {
		return 0
	}
	return Micros(math.Round(pricePerSecondUSD * MicrosPerUSD * d.Seconds()))
}

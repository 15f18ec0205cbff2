package remote

// Slots is how many jobs the workers the owner has heard from can run at
// once: a direct offer is made only while the owner waits for fewer.
func (w *Owner) Slots() int { return w.slots() }

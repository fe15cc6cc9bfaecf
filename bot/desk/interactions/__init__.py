"""An interaction's life: a text in, offered, accepted, worked (notes, case data,
transfers, consultations, spelling), closed."""

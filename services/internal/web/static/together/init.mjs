// Starts nhsuk-frontend's enhancements (error summary focus, header menu,
// skip link and the rest). Every page works without them.
import { initAll } from '../nhsuk/nhsuk-frontend.min.js'

initAll()
